"""What this importer is: files uploaded in the UI, read once by a background task (not a live source)."""

PROTOCOL = "csvfile"
LIBRARY = "csv, openpyxl"
MODE = "import"

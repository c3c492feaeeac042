"""Opening an uploaded history file as rows of cells: CSV (comma, semicolon or tab, UTF-8 or GB18030)
or Excel .xlsx (the first worksheet). The only module that imports openpyxl."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

from django.utils.translation import gettext as _

XLSX_MAGIC = b"PK\x03\x04"
DELIMITERS = (",", ";", "\t")
SNIFF_BYTES = 64 * 1024


class FileError(Exception):
    """The file cannot be read as a table; the message says why, for the person who uploaded it."""


@dataclass
class Table:
    kind: str  # "csv" | "xlsx"
    header: list[str]
    rows: Iterator[tuple[int, list[Any]]]  # (line or row number in the file, cells)
    delimiter: str = ""
    encoding: str = ""
    decimal_comma: bool = False
    sheet: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def kind_of(head: bytes, filename: str) -> str:
    name = filename.lower()
    if head.startswith(XLSX_MAGIC) or name.endswith((".xlsx", ".xlsm")):
        if not head.startswith(XLSX_MAGIC):
            raise FileError(_("文件扩展名为 .xlsx，但内容不是 Excel 工作簿。"))
        return "xlsx"
    if name.endswith(".xls"):
        raise FileError(_("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV。"))
    return "csv"


def detect_encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM) when the bytes decode as UTF-8, else GB18030 (Excel in Chinese)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the sample
            return "gb18030"
    return "utf-8"


def detect_delimiter(sample: str) -> str:
    """The delimiter of the header line: the most frequent of comma, semicolon and tab."""
    lines = [line for line in sample.splitlines() if line.strip()]
    if not lines:
        raise FileError(_("文件是空的。"))
    header = lines[0]
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    if counts[best] == 0:
        raise FileError(_("无法识别分隔符：第一行应为以逗号或分号分隔的列名。"))
    return best


@contextmanager
def open_table(fileobj: IO[bytes], filename: str) -> Iterator[Table]:
    """The header and an iterator over the data rows (blank rows skipped) of an uploaded file."""
    fileobj.seek(0)
    head = fileobj.read(SNIFF_BYTES)
    fileobj.seek(0)
    kind = kind_of(head, filename)
    if kind == "xlsx":
        with _open_xlsx(fileobj) as table:
            yield table
        return
    encoding = detect_encoding(head)
    sample = head.decode(encoding, errors="ignore")
    delimiter = detect_delimiter(sample)
    text = io.TextIOWrapper(fileobj, encoding=encoding, errors="replace", newline="")
    try:
        reader = csv.reader(text, delimiter=delimiter)
        numbered = ((reader.line_num, row) for row in reader if any(cell.strip() for cell in row))
        first = next(numbered, None)
        if first is None:
            raise FileError(_("文件是空的。"))
        header = [cell.strip() for cell in first[1]]
        yield Table(
            kind="csv",
            header=header,
            rows=((n, list(row)) for n, row in numbered),
            delimiter=delimiter,
            encoding=encoding,
            decimal_comma=delimiter == ";",
        )
    except csv.Error as exc:
        raise FileError(_("CSV 格式错误：%(error)s") % {"error": exc}) from exc
    finally:
        text.detach()


@contextmanager
def _open_xlsx(fileobj: IO[bytes]) -> Iterator[Table]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(fileobj, read_only=True, data_only=True)
    except (InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise FileError(_("无法读取 Excel 文件：%(error)s") % {"error": exc}) from exc
    try:
        sheet = workbook.worksheets[0]
        numbered = (
            (n, list(row))
            for n, row in enumerate(sheet.iter_rows(values_only=True), start=1)
            if any(cell is not None and str(cell).strip() for cell in row)
        )
        first = next(numbered, None)
        if first is None:
            raise FileError(_("工作表“%(sheet)s”是空的。") % {"sheet": sheet.title})
        header = ["" if cell is None else str(cell).strip() for cell in first[1]]
        while header and not header[-1]:
            header.pop()
        yield Table(kind="xlsx", header=header, rows=numbered, sheet=sheet.title)
    finally:
        workbook.close()


def count_rows(fileobj: IO[bytes], filename: str) -> int:
    """How many data rows the file holds (a full pass; for the preview)."""
    with open_table(fileobj, filename) as table:
        return sum(1 for _ in table.rows)

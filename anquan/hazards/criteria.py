"""The items of a major-hazard determination standard (重大事故隐患判定标准) as people paste or upload
them, and cited items in words. Plain parsing: ``services.criteria`` decides and stores.

- Pasted text: one item a line, "number text" ("1 危险化学品…", "第1条 …", "1、…", "1. …").
- An upload: an Excel workbook (.xlsx, first sheet) or a CSV file (UTF-8, with or without BOM; GBK
  as Excel for Windows saves it), first column the number, second the text; a header row whose first
  cell is not a number is skipped, blank rows too.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_ITEMS = 300
MAX_ITEM_TEXT = 2000
MAX_UPLOAD = 2 * 1024 * 1024  # bytes

Item = tuple[int, str]

_LINE = re.compile(r"^\s*第?\s*(\d{1,4})\s*条?\s*[、.．:：)）]?\s*(.*?)\s*$")


def parse_lines(text: str) -> list[Item]:
    """The items of pasted text, one a line "number text" (blank lines skipped)."""
    items: list[Item] = []
    errors: list[str] = []
    for index, line in enumerate(str(text or "").splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINE.match(line)
        if match is None:
            errors.append(
                _("第 %(line)d 行：须以条款号开头，如“1 特种作业人员未持证上岗。”") % {"line": index}
            )
            continue
        items.append((int(match.group(1)), match.group(2)))
    if errors:
        raise ValidationError({"items": errors})
    return items


def _rows_of_xlsx(content: bytes) -> Iterable[Sequence[Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise ValidationError({"file": [_("无法读取该 Excel 文件，请另存为 .xlsx 后重试。")]}) from None
    sheet = book.worksheets[0] if book.worksheets else None
    rows = [] if sheet is None else [tuple(row) for row in sheet.iter_rows(values_only=True)]
    book.close()
    return rows


def _rows_of_csv(content: bytes) -> Iterable[Sequence[Any]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        return list(csv.reader(io.StringIO(text)))
    raise ValidationError({"file": [_("无法识别该 CSV 文件的编码，请保存为 UTF-8。")]})


def _number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    match = re.fullmatch(r"\s*第?\s*(\d{1,4})\s*条?\s*", str(value or ""))
    return int(match.group(1)) if match else None


def parse_upload(name: str, content: bytes) -> list[Item]:
    """The items of an uploaded .xlsx or .csv: number in the first column, text in the second."""
    if len(content) > MAX_UPLOAD:
        raise ValidationError({"file": [_("文件不能超过 %(n)d MB。") % {"n": MAX_UPLOAD // (1024 * 1024)}]})
    lower = name.lower()
    if lower.endswith(".xlsx"):
        rows = _rows_of_xlsx(content)
    elif lower.endswith(".csv"):
        rows = _rows_of_csv(content)
    else:
        raise ValidationError({"file": [_("请上传 .xlsx 或 .csv 文件。")]})
    items: list[Item] = []
    errors: list[str] = []
    for index, row in enumerate(rows, start=1):
        cells = [*row, None, None]
        if all(c is None or str(c).strip() == "" for c in cells):
            continue
        number = _number(cells[0])
        if number is None:
            if index == 1:
                continue  # the header row
            errors.append(_("第 %(line)d 行：第一列须为条款号。") % {"line": index})
            continue
        items.append((number, str(cells[1] or "").strip()))
    if errors:
        raise ValidationError({"file": errors})
    return items


def as_lines(items: Iterable[Item]) -> str:
    """Items back as pasted text (the edit form)."""
    return "\n".join(f"{number} {text}" for number, text in items)


def cited_text(entries: Sequence[dict[str, Any]], *, with_text: bool = False) -> str:
    """Cited items in words: "安监总管三〔2017〕121号 第 15 条；…" (each with its text if asked)."""
    parts = []
    for entry in entries:
        part = _("%(code)s 第 %(number)s 条") % {"code": entry.get("code", ""), "number": entry.get("number")}
        if with_text and entry.get("text"):
            part = f"{part}：{entry['text']}"
        parts.append(part)
    return "；".join(parts)

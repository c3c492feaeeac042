"""Pure functions of the history import: which layout a table has, and how its rows become readings.

Two layouts are recognised from the header:

- **long**: a timestamp column, a tag column and a value column (``ts,tag,value``; other columns
  such as a unit are ignored): one reading per row;
- **wide**: a timestamp column and one column per tag code (``时间,TI-101,PI-201``): one reading
  per non-empty cell. Columns that are no tag of the site are listed in the preview and ignored.

Timestamps may be epoch milliseconds, epoch seconds (< 1e11), ISO-8601 text (``2025-11-28T10:00:00Z``,
``2025-11-28 10:00:00``, ``2025/11/28 10:00``) or Excel date cells; one without a time zone is read
in the site's time zone (``tz``).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from anquan.streaming.choices import RejectReason
from anquan.streaming.types import RawReading, Reject, cut

TS_NAMES = {
    "ts",
    "timestamp",
    "time",
    "datetime",
    "date_time",
    "date",
    "时间",
    "时间戳",
    "采集时间",
    "日期时间",
    "日期",
}
TAG_NAMES = {"tag", "tag_code", "tagcode", "code", "point", "位号", "测点", "测点位号", "标签"}
VALUE_NAMES = {"value", "val", "reading", "数值", "值", "读数", "测量值"}
UNIT_SUFFIX = re.compile(r"\s*[\(（\[][^\)）\]]*[\)）\]]\s*$")
DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")


class LayoutError(Exception):
    """The header does not describe a history table; the message says what is missing."""


@dataclass
class Layout:
    format: str  # "long" | "wide"
    ts_col: int
    tag_col: int = -1  # long
    value_col: int = -1  # long
    tag_cols: dict[int, str] = field(default_factory=dict)  # wide: column → tag code
    unknown: list[str] = field(default_factory=list)  # wide: columns that are no tag of the site
    ignored: list[str] = field(default_factory=list)  # long: extra columns


def _norm(name: str) -> str:
    return name.strip().lower().replace(" ", "_")


def match_tag(column: str, known: dict[str, str]) -> str | None:
    """The tag code a column header names: exactly, ignoring case, or with a unit suffix "TI-101 (°C)".

    ``known`` maps lower-cased codes to codes."""
    name = column.strip()
    for candidate in (name, UNIT_SUFFIX.sub("", name)):
        if not candidate:
            continue
        code = known.get(candidate.lower())
        if code is not None:
            return code
    return None


def detect_layout(header: list[str], known_tags: Iterable[str]) -> Layout:
    names = [_norm(h) for h in header]
    known = {code.lower(): code for code in known_tags}
    ts_col = next((i for i, n in enumerate(names) if n in TS_NAMES), -1)
    tag_col = next((i for i, n in enumerate(names) if n in TAG_NAMES), -1)
    value_col = next((i for i, n in enumerate(names) if n in VALUE_NAMES), -1)
    if tag_col >= 0 and value_col >= 0:
        if ts_col < 0:
            raise LayoutError(
                _("找到了位号列和数值列，但没有时间列（列名应为 ts、timestamp、time 或 时间）。")
            )
        ignored = [h for i, h in enumerate(header) if i not in (ts_col, tag_col, value_col) and h]
        return Layout("long", ts_col, tag_col=tag_col, value_col=value_col, ignored=ignored)
    if ts_col < 0:
        ts_col = 0  # a wide table's first column is its time axis
        if not header or match_tag(header[0], known) is not None:
            raise LayoutError(_("没有找到时间列：第一列应为时间（列名如 ts、timestamp、time 或 时间）。"))
    tag_cols: dict[int, str] = {}
    unknown: list[str] = []
    for i, column in enumerate(header):
        if i == ts_col or not column:
            continue
        code = match_tag(column, known)
        if code is None:
            unknown.append(column)
        else:
            tag_cols[i] = code
    if not tag_cols and not unknown:
        raise LayoutError(_("除时间列外没有数据列。"))
    return Layout("wide", ts_col, tag_cols=tag_cols, unknown=unknown)


def parse_ts(cell: Any, tz: dt.tzinfo) -> int:
    """Epoch milliseconds (UTC) of a timestamp cell; ValueError when it is none."""
    if isinstance(cell, dt.datetime):
        moment = cell if cell.tzinfo is not None else cell.replace(tzinfo=tz)
        return int(moment.timestamp() * 1000)
    if isinstance(cell, dt.date):
        return int(dt.datetime(cell.year, cell.month, cell.day, tzinfo=tz).timestamp() * 1000)
    if isinstance(cell, bool):
        raise ValueError(cell)
    if isinstance(cell, int | float):
        return _epoch(float(cell))
    text = str(cell).strip() if cell is not None else ""
    if not text:
        raise ValueError("empty")
    try:
        return _epoch(float(text))
    except ValueError:
        pass
    text = text.replace("/", "-")
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return int(moment.timestamp() * 1000)


def _epoch(number: float) -> int:
    if not math.isfinite(number) or number < 0:
        raise ValueError(number)
    return round(number * 1000) if number < 1e11 else int(number)


def parse_value(cell: Any, *, decimal_comma: bool = False) -> Any:
    """A number where the cell holds one (booleans as 1/0); other text as it is (refused later);
    None for an empty cell (no reading)."""
    if cell is None:
        return None
    if isinstance(cell, bool):
        return 1.0 if cell else 0.0
    if isinstance(cell, int | float):
        return float(cell)
    text = str(cell).strip()
    if not text:
        return None
    if decimal_comma and DECIMAL_COMMA.match(text):
        text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return text


def raw_text(row: list[Any], delimiter: str = ",") -> str:
    return cut(delimiter.join("" if c is None else str(c) for c in row), 2000)


def row_readings(
    layout: Layout,
    row: list[Any],
    *,
    tz: dt.tzinfo,
    decimal_comma: bool = False,
    delimiter: str = ",",
) -> tuple[list[RawReading], list[Reject]]:
    """The readings of one data row, or the rejects it produced (a bad timestamp refuses the row).
    Details name no line number: the caller adds it to the dead letters."""

    def cell(i: int) -> Any:
        return row[i] if 0 <= i < len(row) else None

    ts_cell = cell(layout.ts_col)
    try:
        ts = parse_ts(ts_cell, tz)
    except (ValueError, OverflowError, OSError):
        detail = _("无法识别的时间“%(ts)s”") % {"ts": "" if ts_cell is None else ts_cell}
        tag = str(cell(layout.tag_col) or "") if layout.format == "long" else ""
        return [], [Reject(RejectReason.MALFORMED, raw_text(row, delimiter), cut(detail, 300), tag=tag[:120])]
    if layout.format == "long":
        tag = str(cell(layout.tag_col) or "").strip()
        value = parse_value(cell(layout.value_col), decimal_comma=decimal_comma)
        if not tag:
            detail = _("缺少位号")
            return [], [Reject(RejectReason.MALFORMED, raw_text(row, delimiter), detail, ts=ts)]
        if value is None:
            detail = _("缺少数值")
            return [], [
                Reject(RejectReason.NOT_NUMERIC, raw_text(row, delimiter), detail, tag=tag[:120], ts=ts)
            ]
        return [RawReading(tag=tag, ts=ts, value=value)], []
    readings: list[RawReading] = []
    for i, code in layout.tag_cols.items():
        value = parse_value(cell(i), decimal_comma=decimal_comma)
        if value is not None:
            readings.append(RawReading(tag=code, ts=ts, value=value))
    return readings, []


def reading_raw(reading: RawReading) -> str:
    return cut(
        json.dumps(
            {"tag": reading.tag, "ts": reading.ts, "value": reading.value}, ensure_ascii=False, default=str
        )
    )

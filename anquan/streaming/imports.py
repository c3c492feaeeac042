"""History import: the preview shown before an upload is confirmed, and the import itself (run by
the background task ``streaming.tasks.import_history``).

Readings are validated as the stream validates them (unknown tag, non-numeric, NaN/inf, outside the
instrument range, timestamps beyond the future tolerance) — but history is exempt from the late
window. Valid readings go to storage in batches (idempotent on tag and timestamp: importing a file
twice stores it once); refused ones are counted on the HistoryImport and kept as dead letters.
Imports do not move live values or raise alarms; the rollups of the imported period are recomputed.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from anquan.monitoring import storage
from anquan.plant.models import SensorTag
from anquan.streaming.choices import ImportStatus, RejectReason
from anquan.streaming.connectors.csvfile import mapping, reader
from anquan.streaming.models import DeadLetter, HistoryImport
from anquan.streaming.types import RawReading, Reject, cut

logger = logging.getLogger(__name__)

PREVIEW_ROWS = 10  # rows shown in the preview table
PREVIEW_SCAN_ROWS = 5000  # rows the preview looks through for tag codes (long format) and bad values
BATCH_READINGS = 5000  # readings per storage write and progress update


def no_tag_columns() -> str:
    return _("列名中没有本场所的测点位号。宽表的每个数据列应以测点位号命名，如 TI-101。")


def max_upload_bytes() -> int:
    return int(settings.ANQUAN_IMPORT_MAX_MB) * 1024 * 1024


@dataclass(frozen=True)
class TagInfo:
    id: int
    low: float
    high: float


class TagTable:
    """The tags of one site by code, with their instrument range, for validation."""

    def __init__(self, tags: dict[str, TagInfo]) -> None:
        self.tags = tags

    @classmethod
    def for_site(cls, site_id: int) -> TagTable:
        rows = SensorTag.objects.filter(site_id=site_id).values_list("pk", "tag", "range_low", "range_high")
        return cls({code: TagInfo(pk, float(low), float(high)) for pk, code, low, high in rows})

    @property
    def codes(self) -> list[str]:
        return list(self.tags)

    def check(self, reading: RawReading, *, now_ms: int, future_ms: int) -> tuple[int, int, float] | Reject:
        """The stored row for ``reading``, or why it is refused (the pipeline's rules, no late window)."""
        raw = mapping.reading_raw(reading)
        info = self.tags.get(reading.tag)
        if info is None:
            return Reject(RejectReason.UNKNOWN_TAG, raw, _("未知测点"), tag=reading.tag[:120], ts=reading.ts)
        value = reading.value
        if isinstance(value, bool):
            value = 1.0 if value else 0.0
        if not isinstance(value, int | float):
            return Reject(RejectReason.NOT_NUMERIC, raw, _("数值无法识别"), tag=reading.tag, ts=reading.ts)
        value = float(value)
        if not math.isfinite(value):
            return Reject(
                RejectReason.NOT_FINITE, raw, _("数值为 NaN 或无穷大"), tag=reading.tag, ts=reading.ts
            )
        if not info.low <= value <= info.high:
            detail = _("%(v)g 超出量程 %(lo)g ~ %(hi)g") % {"v": value, "lo": info.low, "hi": info.high}
            return Reject(RejectReason.OUT_OF_RANGE, raw, detail, tag=reading.tag, ts=reading.ts)
        ts = reading.ts if reading.ts is not None else now_ms
        if ts > now_ms + future_ms:
            return Reject(RejectReason.FUTURE, raw, _("时间戳晚于当前时间"), tag=reading.tag, ts=ts)
        return (info.id, ts, value)


def future_tolerance_ms() -> int:
    return int(getattr(settings, "ANQUAN_INGEST_FUTURE_TOLERANCE_S", 60)) * 1000


def binary(fileobj: Any) -> IO[bytes]:
    """The plain binary file under a Django File / UploadedFile / FieldFile."""
    inner = fileobj
    while not isinstance(inner, io.IOBase) and hasattr(inner, "file"):
        inner = inner.file
    return inner


# --- preview ----------------------------------------------------------------------------------
@dataclass
class Preview:
    filename: str
    kind: str = ""  # "csv" | "xlsx"
    delimiter: str = ""
    encoding: str = ""
    sheet: str = ""
    format: str = ""  # "long" | "wide"
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    ts_column: str = ""
    tag_column: str = ""
    value_column: str = ""
    recognised: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # wide: columns ignored; long: unknown codes seen
    ignored: list[str] = field(default_factory=list)  # long: extra columns
    scanned: int = 0  # data rows looked at
    more_rows: bool = False  # the file holds more rows than were scanned
    readings: int = 0  # readings in the scanned rows
    problems: dict[str, int] = field(default_factory=dict)  # reason label → count, in the scanned rows
    first_ts: int | None = None
    last_ts: int | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and (self.format == "long" or bool(self.recognised))

    @property
    def delimiter_label(self) -> str:
        return {",": _("逗号"), ";": _("分号"), "\t": _("制表符")}.get(self.delimiter, "")

    @property
    def first_time(self) -> dt.datetime | None:
        return _local(self.first_ts)

    @property
    def last_time(self) -> dt.datetime | None:
        return _local(self.last_ts)


def _local(ms: int | None) -> dt.datetime | None:
    if ms is None:
        return None
    return timezone.localtime(dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC))


def _shown(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, dt.datetime):
        return cell.isoformat(sep=" ")
    return str(cell)[:80]


def preview(fileobj: Any, filename: str, site_id: int) -> Preview:
    """What an import of this file would do: layout, tags recognised, unknown columns, first rows,
    and the problems found in the first rows (nothing is stored)."""
    result = Preview(filename=filename)
    tags = TagTable.for_site(site_id)
    tz = timezone.get_default_timezone()
    now_ms, future_ms = int(time.time() * 1000), future_tolerance_ms()
    labels = dict(RejectReason.choices)
    try:
        with reader.open_table(binary(fileobj), filename) as table:
            result.kind, result.delimiter, result.encoding = table.kind, table.delimiter, table.encoding
            result.sheet, result.header = table.sheet, table.header
            layout = mapping.detect_layout(table.header, tags.codes)
            result.format = layout.format
            result.ts_column = table.header[layout.ts_col] if layout.ts_col < len(table.header) else ""
            seen: set[str] = set()
            if layout.format == "long":
                result.tag_column = table.header[layout.tag_col]
                result.value_column = table.header[layout.value_col]
                result.ignored = layout.ignored
            else:
                result.recognised = list(layout.tag_cols.values())
                result.unknown = list(layout.unknown)
            for _line, row in table.rows:
                if result.scanned >= PREVIEW_SCAN_ROWS:
                    result.more_rows = True
                    break
                result.scanned += 1
                if len(result.rows) < PREVIEW_ROWS:
                    result.rows.append([_shown(c) for c in row[: len(table.header)]])
                readings, rejects = mapping.row_readings(
                    layout, row, tz=tz, decimal_comma=table.decimal_comma, delimiter=table.delimiter or ","
                )
                for reading in readings:
                    checked = tags.check(reading, now_ms=now_ms, future_ms=future_ms)
                    if isinstance(checked, Reject):
                        rejects.append(checked)
                    else:
                        result.readings += 1
                        ts = checked[1]
                        result.first_ts = ts if result.first_ts is None else min(result.first_ts, ts)
                        result.last_ts = ts if result.last_ts is None else max(result.last_ts, ts)
                    if layout.format == "long":
                        seen.add(reading.tag)
                for reject in rejects:
                    label = str(labels.get(reject.reason, reject.reason))
                    result.problems[label] = result.problems.get(label, 0) + 1
            if layout.format == "long":
                result.recognised = sorted(code for code in seen if code in tags.tags)
                result.unknown = sorted(code for code in seen if code not in tags.tags)
    except (reader.FileError, mapping.LayoutError) as exc:
        result.error = str(exc)
    if not result.error and result.format == "wide" and not result.recognised:
        result.error = no_tag_columns()
    if not result.error and result.scanned == 0:
        result.error = _("文件中只有表头，没有数据行。")
    return result


# --- the import -------------------------------------------------------------------------------
@dataclass
class Progress:
    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    stored: int = 0
    first_ts: int | None = None
    tag_ids: set[int] = field(default_factory=set)


STALLED_AFTER_S = 600  # a running import that wrote nothing for this long lost its worker


def fail_stalled(now: dt.datetime | None = None) -> int:
    """Mark imports whose worker died (running, no progress for STALLED_AFTER_S) as failed, so they
    do not show "running" for ever; importing the file again stores each reading once."""
    cutoff = (now or timezone.now()) - dt.timedelta(seconds=STALLED_AFTER_S)
    return HistoryImport.objects.filter(status=ImportStatus.RUNNING, updated_at__lt=cutoff).update(
        status=ImportStatus.FAILED,
        detail=_("后台任务中断（超过 %(min)d 分钟没有进展），请重新导入；已入库的读数不会重复保存。")
        % {"min": STALLED_AFTER_S // 60},
        updated_at=timezone.now(),
    )


def run(import_id: int) -> str:
    """Import the file of HistoryImport ``import_id`` if it is queued; returns its status afterwards."""
    claimed = HistoryImport.objects.filter(pk=import_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, updated_at=timezone.now()
    )
    history = HistoryImport.objects.select_related("site").filter(pk=import_id).first()
    if history is None:
        return "missing"
    if not claimed:  # done, failed, or another worker is at it
        return history.status
    progress = Progress()
    try:
        with history.file.open("rb") as fileobj:
            _import(history, binary(fileobj), progress)
    except (reader.FileError, mapping.LayoutError) as exc:
        _finish(history, ImportStatus.FAILED, str(exc), progress)
    except Exception as exc:  # recorded on the import, never lost in a worker log only
        logger.exception("history import %s failed", import_id)
        _finish(history, ImportStatus.FAILED, _("导入时出错：%(error)s") % {"error": cut(exc, 300)}, progress)
    else:
        _finish(history, ImportStatus.DONE, _summary(progress), progress)
        if progress.first_ts is not None and progress.tag_ids:
            try:
                storage.refresh_rollups(progress.first_ts, progress.tag_ids)
            except Exception:  # the readings are stored; the rollups catch up with the next refresh
                logger.exception("history import %s: rollup refresh failed", import_id)
    return history.status


def _summary(progress: Progress) -> str:
    text = _("共处理 %(rows)d 行：入库 %(accepted)d 条读数，拒收 %(rejected)d 条。") % {
        "rows": progress.rows,
        "accepted": progress.accepted,
        "rejected": progress.rejected,
    }
    duplicates = progress.accepted - progress.stored
    if duplicates > 0:
        text += _("其中 %(n)d 条此前已存在，未重复保存。") % {"n": duplicates}
    return text


def _finish(history: HistoryImport, status: str, detail: str, progress: Progress) -> None:
    history.status = status
    history.detail = detail
    history.rows, history.accepted, history.rejected = progress.rows, progress.accepted, progress.rejected
    history.save(update_fields=["status", "detail", "rows", "accepted", "rejected", "updated_at"])


def _import(history: HistoryImport, fileobj: IO[bytes], progress: Progress) -> None:
    tags = TagTable.for_site(history.site_id)
    tz = timezone.get_default_timezone()
    future_ms = future_tolerance_ms()
    with reader.open_table(fileobj, history.filename) as table:
        layout = mapping.detect_layout(table.header, tags.codes)
        if layout.format == "wide" and not layout.tag_cols:
            raise mapping.LayoutError(no_tag_columns())
        pending: list[tuple[int, RawReading]] = []
        refused: list[tuple[int, Reject]] = []
        rows_in_batch = 0
        for line, row in table.rows:
            readings, rejects = mapping.row_readings(
                layout, row, tz=tz, decimal_comma=table.decimal_comma, delimiter=table.delimiter or ","
            )
            pending += [(line, r) for r in readings]
            refused += [(line, r) for r in rejects]
            rows_in_batch += 1
            if len(pending) + len(refused) >= BATCH_READINGS:
                _flush(history, tags, pending, refused, rows_in_batch, progress, future_ms)
                pending, refused, rows_in_batch = [], [], 0
        _flush(history, tags, pending, refused, rows_in_batch, progress, future_ms)


def _flush(
    history: HistoryImport,
    tags: TagTable,
    pending: list[tuple[int, RawReading]],
    refused: list[tuple[int, Reject]],
    rows: int,
    progress: Progress,
    future_ms: int,
) -> None:
    now_ms = int(time.time() * 1000)
    stored_rows: list[tuple[int, int, float]] = []
    for line, reading in pending:
        checked = tags.check(reading, now_ms=now_ms, future_ms=future_ms)
        if isinstance(checked, Reject):
            refused.append((line, checked))
        else:
            stored_rows.append(checked)
    with transaction.atomic():
        stored = storage.write_readings(stored_rows)
        DeadLetter.objects.bulk_create(_dead_letters(history, refused))
        HistoryImport.objects.filter(pk=history.pk).update(
            rows=F("rows") + rows,
            accepted=F("accepted") + len(stored_rows),
            rejected=F("rejected") + len(refused),
            updated_at=timezone.now(),
        )
    progress.rows += rows
    progress.accepted += len(stored_rows)
    progress.rejected += len(refused)
    progress.stored += stored
    if stored_rows:
        first = min(r[1] for r in stored_rows)
        progress.first_ts = first if progress.first_ts is None else min(progress.first_ts, first)
        progress.tag_ids.update(r[0] for r in stored_rows)


def dead_letter_prefix(import_id: int) -> str:
    """How the dead letters of an import begin (stored data, not translated: it is also their filter)."""
    return f"历史导入 #{import_id} "


def _dead_letters(history: HistoryImport, refused: Iterable[tuple[int, Reject]]) -> list[DeadLetter]:
    now = timezone.now()
    prefix = dead_letter_prefix(history.pk)
    letters = []
    for line, reject in refused:
        detail = _("第 %(line)d 行：%(detail)s") % {"line": line, "detail": reject.detail}
        letters.append(
            DeadLetter(
                site_id=history.site_id,
                connector=None,
                received_at=now,
                reason=reject.reason,
                tag_code=reject.tag[:120],
                ts=reject.ts,
                raw=reject.raw,
                detail=cut(prefix + detail, 300),
            )
        )
    return letters

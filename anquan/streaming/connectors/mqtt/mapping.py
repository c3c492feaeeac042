"""Pure functions from a JSON payload (MQTT message or HTTP body) to readings or rejects.

The payload formats (shared by MQTT and the HTTP batch endpoint; the simulator publishes them):

1. one reading       ``{"tag": "TI-101", "ts": 1764300000000, "value": 21.5}``
2. a batch           ``[{"tag": …, "ts": …, "value": …}, …]`` or ``{"readings": [ … ]}``
3. ThingsBoard style ``{"ts": 1764300000000, "values": {"TI-101": 21.5, "PI-101": 130.2}}`` or a list of them

``ts`` is epoch milliseconds, epoch seconds (int or float below 1e11), an ISO-8601 string (UTC when it
names no offset), or absent — then the time the payload was received. Values go to the pipeline as
sent; it refuses non-numeric, NaN/inf and out-of-range values with their reason.

A payload that is too large, not UTF-8 JSON or of no known shape becomes one ``Reject`` for the whole
payload; a bad item inside a batch becomes a ``Reject`` of its own and the rest of the batch goes on.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import orjson
from django.utils.translation import gettext as _

from anquan.streaming.choices import RejectReason
from anquan.streaming.types import RawReading, Reject, cut

SECONDS_BELOW = 1e11  # a number below this is epoch seconds (1e11 s is the year 5138; 1e11 ms is 1973)
TS_LIMIT = 2**62  # far beyond any real time, well inside the database's bigint
TAG_MAX = 120


class PayloadError(ValueError):
    """The payload as a whole is unusable: the reason (a RejectReason) and a message for people."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def parse_ts(value: Any) -> int | None:
    """Epoch milliseconds from what a source sent as ``ts``; None when it sent none.

    Raises ValueError with a message when it is not a time."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(_("时间戳不能是布尔值。"))
    if isinstance(value, int) and abs(value) >= SECONDS_BELOW:
        if abs(value) >= TS_LIMIT:
            raise ValueError(_("时间戳超出范围。"))
        return value
    if isinstance(value, int | float):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(_("时间戳不是有限数值。"))
        ms = round(number * 1000) if abs(number) < SECONDS_BELOW else round(number)
        if abs(ms) >= TS_LIMIT:
            raise ValueError(_("时间戳超出范围。"))
        return int(ms)
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").replace(".", "", 1).isdigit():
            return parse_ts(float(text) if "." in text else int(text))
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                _("无法识别的时间戳 %(ts)s：应为毫秒、秒或 ISO-8601 时间。") % {"ts": cut(text, 60)}
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return round(moment.timestamp() * 1000)
    raise ValueError(_("时间戳应为数字或 ISO-8601 字符串。"))


def decode(payload: bytes | bytearray | memoryview | str, *, max_bytes: int) -> Any:
    """The JSON document in ``payload``. Raises PayloadError (oversized or malformed)."""
    data = bytes(payload) if not isinstance(payload, str) else payload.encode("utf-8", "surrogatepass")
    if len(data) > max_bytes:
        raise PayloadError(
            RejectReason.OVERSIZED,
            _("报文 %(size)s 字节，超过上限 %(max)s 字节。") % {"size": len(data), "max": max_bytes},
        )
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    # Standard JSON has no NaN/Infinity, but gateways send them; let those through as floats so the
    # pipeline refuses each such reading as "NaN or infinite" rather than the whole payload.
    try:
        doc = json.loads(data.decode("utf-8"))
        orjson.dumps(doc)  # no lone surrogates, nothing a database cannot store
    except (ValueError, TypeError, orjson.JSONEncodeError):
        raise PayloadError(RejectReason.MALFORMED, _("报文不是有效的 UTF-8 JSON。")) from None
    return doc


SHAPES_HELP = (
    '{"tag", "ts", "value"}、[{"tag", "ts", "value"}, …]、{"readings": […]}、{"ts", "values": {"位号": 数值}}'
)


def shape_error(doc: Any) -> str | None:
    """Why ``doc`` is none of the payload shapes, or None when it is one."""
    if isinstance(doc, list):
        return None
    if isinstance(doc, dict):
        if "readings" in doc:
            return None if isinstance(doc["readings"], list) else _("readings 必须是列表。")
        if "values" in doc:
            return None if isinstance(doc["values"], dict) else _("values 必须是 {位号: 数值} 对象。")
        if "tag" in doc:
            return None
    return _("无法识别的报文格式，应为：%(shapes)s") % {"shapes": SHAPES_HELP}


def _raw(item: Any) -> str:
    try:
        return cut(orjson.dumps(item, option=orjson.OPT_NON_STR_KEYS))
    except (TypeError, orjson.JSONEncodeError):
        return cut(repr(item))


def _malformed(item: Any, detail: str, tag: str = "", ts: int | None = None) -> Reject:
    return Reject(reason=RejectReason.MALFORMED, raw=_raw(item), detail=cut(detail, 300), tag=tag, ts=ts)


def _tag_of(value: Any) -> str:
    return value.strip()[:TAG_MAX] if isinstance(value, str) else ""


def _item(item: Any, received_ms: int, readings: list[RawReading], rejects: list[Reject]) -> None:
    if type(item) is dict and "values" not in item and "value" in item:
        # the common case first: a clean tag and a timestamp in milliseconds
        tag, ts = item.get("tag"), item.get("ts")
        if (
            type(tag) is str
            and type(ts) is int
            and SECONDS_BELOW <= ts < TS_LIMIT
            and 0 < len(tag) <= TAG_MAX
            and tag == tag.strip()
        ):
            readings.append(RawReading(tag, ts, item["value"]))
            return
    if not isinstance(item, dict):
        rejects.append(_malformed(item, _("每条读数必须是 JSON 对象。")))
        return
    if "values" in item:
        _group(item, received_ms, readings, rejects)
        return
    tag = _tag_of(item.get("tag"))
    if not tag:
        rejects.append(_malformed(item, _("缺少测点位号 tag（文本）。")))
        return
    try:
        ts = parse_ts(item.get("ts"))
    except ValueError as exc:
        rejects.append(_malformed(item, str(exc), tag=tag))
        return
    if "value" not in item:
        rejects.append(_malformed(item, _("缺少数值 value。"), tag=tag, ts=ts))
        return
    readings.append(RawReading(tag=tag, ts=received_ms if ts is None else ts, value=item["value"]))


def _group(
    group: dict[str, Any], received_ms: int, readings: list[RawReading], rejects: list[Reject]
) -> None:
    values = group.get("values")
    if not isinstance(values, dict):
        rejects.append(_malformed(group, _("values 必须是 {位号: 数值} 对象。")))
        return
    try:
        ts = parse_ts(group.get("ts"))
    except ValueError as exc:
        for key in values:
            rejects.append(
                _malformed({"ts": group.get("ts"), "values": {key: values[key]}}, str(exc), _tag_of(key))
            )
        return
    stamp = received_ms if ts is None else ts
    for key, value in values.items():
        tag = _tag_of(key)
        if not tag:
            rejects.append(_malformed({"ts": ts, "values": {key: value}}, _("测点位号为空。"), ts=stamp))
            continue
        readings.append(RawReading(tag=tag, ts=stamp, value=value))


def map_document(doc: Any, *, received_ms: int) -> tuple[list[RawReading], list[Reject]]:
    """Readings and rejects of a decoded payload. Raises PayloadError when it has no known shape."""
    problem = shape_error(doc)
    if problem is not None:
        raise PayloadError(RejectReason.MALFORMED, problem)
    readings: list[RawReading] = []
    rejects: list[Reject] = []
    if isinstance(doc, list):
        items: list[Any] = doc
    elif "readings" in doc:
        items = doc["readings"]
    else:
        items = [doc]
    for item in items:
        _item(item, received_ms, readings, rejects)
    return readings, rejects


def map_payload(
    payload: bytes | bytearray | memoryview | str, *, received_ms: int, max_bytes: int
) -> tuple[list[RawReading], list[Reject]]:
    """Readings and rejects of a raw payload; never raises for bad input (it becomes a Reject)."""
    try:
        doc = decode(payload, max_bytes=max_bytes)
        return map_document(doc, received_ms=received_ms)
    except PayloadError as exc:
        raw = payload[:4000] if not isinstance(payload, memoryview) else bytes(payload[:4000])
        return [], [Reject(reason=exc.reason, raw=cut(raw), detail=cut(exc.message, 300))]

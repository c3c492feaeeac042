"""Payload mapping (shared by MQTT and HTTP): each payload style and every bad input. No database."""

from __future__ import annotations

import orjson
import pytest

from anquan.streaming.connectors.mqtt.mapping import PayloadError, decode, map_payload, parse_ts, shape_error
from anquan.streaming.types import RawReading

NOW = 1_764_300_000_000
MAX = 64 * 1024


def mapped(payload: object, **kw: object) -> tuple[list[RawReading], list[tuple[str, str, str]]]:
    data = payload if isinstance(payload, bytes | str) else orjson.dumps(payload)
    readings, rejects = map_payload(data, received_ms=NOW, max_bytes=int(kw.get("max_bytes", MAX)))  # type: ignore[call-overload]
    return readings, [(r.reason, r.tag, r.detail) for r in rejects]


def test_one_reading():
    assert mapped({"tag": "TI-101", "ts": 1764300000123, "value": 21.5}) == (
        [RawReading("TI-101", 1764300000123, 21.5)],
        [],
    )


def test_a_batch_as_a_list_or_under_readings():
    items = [{"tag": "TI-101", "ts": NOW, "value": 1}, {"tag": "PI-201", "ts": NOW + 1, "value": 2.5}]
    expected = [RawReading("TI-101", NOW, 1), RawReading("PI-201", NOW + 1, 2.5)]

    assert mapped(items) == (expected, [])
    assert mapped({"readings": items}) == (expected, [])
    assert mapped([]) == ([], [])


def test_thingsboard_style_alone_or_in_a_list():
    group = {"ts": NOW, "values": {"TI-101": 21.5, "PI-201": 1.2}}

    assert mapped(group) == ([RawReading("TI-101", NOW, 21.5), RawReading("PI-201", NOW, 1.2)], [])
    assert mapped([group, {"ts": NOW + 1000, "values": {"TI-101": 22}}])[0][-1] == RawReading(
        "TI-101", NOW + 1000, 22
    )


def test_a_missing_timestamp_is_the_time_of_receipt():
    assert mapped({"tag": "TI-101", "value": 1})[0] == [RawReading("TI-101", NOW, 1)]
    assert mapped({"values": {"TI-101": 1}})[0] == [RawReading("TI-101", NOW, 1)]
    assert mapped({"tag": "TI-101", "ts": None, "value": 1})[0] == [RawReading("TI-101", NOW, 1)]


@pytest.mark.parametrize(
    ("ts", "ms"),
    [
        (1764300000123, 1764300000123),  # milliseconds
        (1764300000, 1764300000000),  # seconds
        (1764300000.5, 1764300000500),  # seconds with a fraction
        ("1764300000123", 1764300000123),
        ("2025-11-28T03:20:00Z", 1764300000000),
        ("2025-11-28T11:20:00+08:00", 1764300000000),
        ("2025-11-28T03:20:00.250", 1764300000250),  # no offset: UTC
    ],
)
def test_timestamps_in_every_accepted_form(ts, ms):
    assert parse_ts(ts) == ms


@pytest.mark.parametrize(
    "ts", [True, "yesterday", {"a": 1}, [1], float("nan"), 10**30, "2025-13-45T00:00:00"]
)
def test_bad_timestamps_are_refused(ts):
    with pytest.raises(ValueError):
        parse_ts(ts)


def test_values_are_passed_on_as_sent_for_the_pipeline_to_judge():
    readings, rejects = mapped(
        [{"tag": "A", "value": "21.5"}, {"tag": "B", "value": None}, {"tag": "C", "value": True}]
    )

    assert [r.value for r in readings] == ["21.5", None, True]
    assert rejects == []


def test_nan_and_infinity_literals_reach_the_pipeline_as_floats():
    readings, rejects = mapped(
        b'[{"tag": "A", "value": NaN}, {"tag": "B", "value": Infinity}, {"tag": "C", "value": 1}]'
    )

    assert rejects == []
    assert [r.tag for r in readings] == ["A", "B", "C"]
    assert readings[0].value != readings[0].value  # NaN
    assert readings[1].value == float("inf")


def test_bad_items_are_refused_one_by_one_and_the_rest_goes_on():
    readings, rejects = mapped(
        [
            {"tag": "TI-101", "value": 1},
            "not an object",
            {"value": 2},
            {"tag": "", "value": 3},
            {"tag": 5, "value": 3},
            {"tag": "PI-201"},
            {"tag": "LI-901", "ts": "soon", "value": 4},
            {"ts": NOW, "values": {"X-1": 1, "": 2}},
            {"ts": "never", "values": {"Y-1": 1, "Y-2": 2}},
            {"values": [1, 2]},
        ]
    )

    assert readings == [RawReading("TI-101", NOW, 1), RawReading("X-1", NOW, 1)]
    assert [(reason, tag) for reason, tag, _ in rejects] == [
        ("malformed", ""),
        ("malformed", ""),
        ("malformed", ""),
        ("malformed", ""),
        ("malformed", "PI-201"),
        ("malformed", "LI-901"),
        ("malformed", ""),
        ("malformed", "Y-1"),
        ("malformed", "Y-2"),
        ("malformed", ""),
    ]
    assert all(detail for _, _, detail in rejects)


@pytest.mark.parametrize(
    "payload",
    [
        b"{not json",
        b"\xff\xfe garbage",
        b"",
        b"42",
        b'"text"',
        b"null",
        b'{"something": "else"}',
        b'{"readings": {"tag": "A"}}',
        b'{"values": [1]}',
        b'{"tag": "\\ud800", "value": 1}',  # a lone surrogate: no database can store it
    ],
)
def test_a_payload_of_no_known_shape_is_one_malformed_reject(payload):
    readings, rejects = mapped(payload)

    assert readings == []
    assert [r[0] for r in rejects] == ["malformed"]
    assert rejects[0][2]


def test_an_oversized_payload_is_refused_whole_without_parsing():
    payload = orjson.dumps([{"tag": "TI-101", "value": i} for i in range(200)])

    readings, rejects = mapped(payload, max_bytes=len(payload) - 1)

    assert readings == []
    assert [r[0] for r in rejects] == ["oversized"]
    assert str(len(payload)) in rejects[0][2]
    assert mapped(payload, max_bytes=len(payload))[0]  # at the limit it passes


def test_the_raw_text_of_a_reject_is_kept_and_cut():
    big = {"tag": "A", "ts": "bad", "value": "x" * 5000}
    _, rejects = map_payload(orjson.dumps([big]), received_ms=NOW, max_bytes=MAX)

    assert rejects[0].raw.startswith('{"tag":"A"')
    assert len(rejects[0].raw) <= 2001


def test_decode_and_shape_error_for_the_http_endpoint():
    assert decode(b'{"tag": "A", "value": 1}', max_bytes=MAX) == {"tag": "A", "value": 1}
    with pytest.raises(PayloadError) as err:
        decode(b"x" * 11, max_bytes=10)
    assert err.value.reason == "oversized"
    assert shape_error([]) is None
    assert shape_error({"tag": "A"}) is None
    assert shape_error({"readings": 1}) == "readings 必须是列表。"
    assert "readings" in (shape_error({"x": 1}) or "")

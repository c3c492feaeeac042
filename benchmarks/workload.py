"""The synthetic readings the benchmarks publish: deterministic, plain Python (no Django).

Every tag reads 0…100 °C with limits LL 5 / L 10 / H 90 / HH 95 (deadband 1 % of span, from
``sync_limit_rules``). Values stay in the normal band 40…60, so the alarm engine evaluates every
reading but rarely transitions; one reading in ``EXCURSION_EVERY`` (spread over tags and time) goes
to 92 (above H) or 8 (below L) for one sample and back, which raises exactly one alarm occurrence
(H or L) and returns it. ``excursions()`` says how many a workload holds, so the benchmark can
check the number of alarms raised.

Readings are ordered scan by scan (all tags at step s, then s + 1, …) as a gateway scans; a
publisher owning a share of the tags (``part`` of ``parts``) keeps each tag's readings in time order.
"""

from __future__ import annotations

from collections.abc import Iterator

import orjson

RANGE = ("0", "100")
LL, L, H, HH = "5", "10", "90", "95"
EXCURSION_EVERY = 9973  # a prime: excursions of one tag are never on consecutive steps
HIGH, LOW = 92.0, 8.0  # an excursion: above H (below HH), or below L (above LL)
MARKER_HIGH, MARKER_NORMAL = 97.5, 50.0


def tag_codes(n: int) -> list[str]:
    return [f"TI-{i:04d}" for i in range(1, n + 1)]


def marker_codes(n: int) -> list[str]:
    return [f"TM-{i:03d}" for i in range(1, n + 1)]


def _excursion(step: int, tag: int, tags: int, steps: int) -> float | None:
    if step == 0 or step >= steps - 1:
        return None  # the first and the last reading of every tag are normal
    key = step * tags + tag
    if key % EXCURSION_EVERY:
        return None
    return HIGH if (key // EXCURSION_EVERY) % 2 == 0 else LOW


def value(step: int, tag: int, tags: int, steps: int) -> float:
    odd = _excursion(step, tag, tags, steps)
    if odd is not None:
        return odd
    return 40.0 + ((tag * 37 + step * 11) % 200) / 10


def normal(step: int, tag: int) -> float:
    return 40.0 + ((tag * 37 + step * 11) % 200) / 10


def excursions(tags: int, steps: int) -> int:
    """How many alarms a workload of ``tags`` × ``steps`` readings raises (one per excursion)."""
    return sum(1 for s in range(steps) for t in range(tags) if _excursion(s, t, tags, steps) is not None)


def readings(
    codes: list[str], steps: int, ts0: int, spacing_ms: int, part: int = 0, parts: int = 1
) -> Iterator[dict[str, object]]:
    """This part's readings, scan by scan."""
    n = len(codes)
    mine = [t for t in range(n) if t % parts == part]
    for s in range(steps):
        ts = ts0 + s * spacing_ms
        for t in mine:
            yield {"tag": codes[t], "ts": ts, "value": value(s, t, n, steps)}


def batches(
    codes: list[str],
    steps: int,
    ts0: int,
    spacing_ms: int,
    size: int,
    part: int = 0,
    parts: int = 1,
    style: str = "batch",
) -> list[bytes]:
    """The payloads of this part: ``size`` readings each. ``style``: ``batch`` (a JSON list of
    ``{"tag", "ts", "value"}``), ``thingsboard`` (``[{"ts", "values": {tag: value}}]``) or ``single``
    (one reading per payload; ``size`` is ignored)."""
    out: list[bytes] = []
    if style == "single":
        return [orjson.dumps(r) for r in readings(codes, steps, ts0, spacing_ms, part, parts)]
    chunk: list[dict[str, object]] = []
    for r in readings(codes, steps, ts0, spacing_ms, part, parts):
        chunk.append(r)
        if len(chunk) == size:
            out.append(_encode(chunk, style))
            chunk = []
    if chunk:
        out.append(_encode(chunk, style))
    return out


def _encode(chunk: list[dict[str, object]], style: str) -> bytes:
    if style == "batch":
        return orjson.dumps(chunk)
    groups: dict[object, dict[object, object]] = {}
    for r in chunk:
        groups.setdefault(r["ts"], {})[r["tag"]] = r["value"]
    return orjson.dumps([{"ts": ts, "values": values} for ts, values in groups.items()])

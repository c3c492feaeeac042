"""Pure functions of the Modbus connector: which reads cover the register map, and how registers
become engineering values. No I/O here; tested without a server.

Registers are 16-bit words sent big-endian; a 32-bit value spans two consecutive registers whose
order is the device's ``word_order`` ("big": high word first, as in 0x1234 0x5678 → 0x12345678).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from anquan.streaming.choices import RejectReason
from anquan.streaming.connectors.modbus.schema import RegisterMapping
from anquan.streaming.types import RawReading, Reject, cut

# The protocol's limits per request (Modbus Application Protocol V1.1b3 §6.1–6.4).
MAX_REGISTERS_PER_READ = 125
MAX_BITS_PER_READ = 2000

_FORMATS = {"int16": ">h", "uint16": ">H", "int32": ">i", "uint32": ">I", "float32": ">f"}


@dataclass(frozen=True)
class Block:
    """One read request: ``count`` addresses of one register type from ``start``."""

    register_type: str
    start: int
    count: int
    points: tuple[RegisterMapping, ...]

    @property
    def tags(self) -> list[str]:
        return [p.tag for p in self.points]


def plan(points: Iterable[RegisterMapping], *, max_gap: int = 0) -> list[Block]:
    """Group the register map into as few reads as the protocol allows.

    Points of one register type whose addresses touch (or overlap, or lie within ``max_gap``
    unmapped addresses) share a read, up to 125 registers or 2000 bits. Gaps default to 0 because
    many devices refuse a read that covers an address they do not implement.
    """
    by_type: dict[str, list[RegisterMapping]] = {}
    for point in points:
        by_type.setdefault(point.register_type, []).append(point)
    blocks: list[Block] = []
    for register_type in ("holding", "input", "coil", "discrete"):
        members = sorted(by_type.get(register_type, []), key=lambda p: (p.address, p.width))
        limit = MAX_BITS_PER_READ if register_type in ("coil", "discrete") else MAX_REGISTERS_PER_READ
        current: list[RegisterMapping] = []
        start = end = 0
        for point in members:
            p_end = point.address + point.width
            if current and point.address <= end + max_gap and max(end, p_end) - start <= limit:
                current.append(point)
                end = max(end, p_end)
                continue
            if current:
                blocks.append(Block(register_type, start, end - start, tuple(current)))
            current, start, end = [point], point.address, p_end
        if current:
            blocks.append(Block(register_type, start, end - start, tuple(current)))
    return blocks


def decode(words: Sequence[int], data_type: str, word_order: str = "big") -> int | float:
    """The raw value held by ``words`` (one or two 16-bit registers)."""
    fmt = _FORMATS[data_type]
    if data_type in ("int16", "uint16"):
        return struct.unpack(fmt, struct.pack(">H", words[0] & 0xFFFF))[0]
    high, low = (words[0], words[1]) if word_order == "big" else (words[1], words[0])
    return struct.unpack(fmt, struct.pack(">HH", high & 0xFFFF, low & 0xFFFF))[0]


def encode(value: int | float, data_type: str, word_order: str = "big") -> list[int]:
    """The registers a device would hold for ``value`` (the inverse of ``decode``; for simulators)."""
    fmt = _FORMATS[data_type]
    if data_type in ("int16", "uint16"):
        return list(struct.unpack(">H", struct.pack(fmt, value)))
    high, low = struct.unpack(">HH", struct.pack(fmt, value))
    return [high, low] if word_order == "big" else [low, high]


def engineering(raw: int | float | bool, scale: float = 1.0, offset: float = 0.0) -> float:
    return float(raw) * scale + offset


def value_of(point: RegisterMapping, block: Block, values: Sequence[int] | Sequence[bool]) -> float:
    """The engineering value of ``point`` from the values ``block``'s read returned."""
    index = point.address - block.start
    if point.is_bit:
        return engineering(bool(values[index]), point.scale, point.offset)
    words = [int(v) for v in values[index : index + point.width]]
    return engineering(decode(words, point.data_type, point.word_order), point.scale, point.offset)


def readings(block: Block, values: Sequence[int] | Sequence[bool], ts: int) -> list[RawReading]:
    """One reading per point of ``block``, all stamped with the poll time ``ts`` (epoch ms).

    NaN or infinite float32 values are passed on: the pipeline refuses them with their reason.
    """
    if len(values) < block.count:
        raise ValueError(f"read returned {len(values)} values, expected {block.count}")
    return [RawReading(tag=p.tag, ts=ts, value=value_of(p, block, values)) for p in block.points]


def failed(block: Block, ts: int, error: str) -> list[Reject]:
    """The rejects recorded once when a read of ``block`` starts failing (e.g. an illegal address)."""
    return [
        Reject(
            reason=RejectReason.BAD_QUALITY,
            raw=cut(
                json.dumps(
                    {"tag": p.tag, "register_type": p.register_type, "address": p.address, "error": error},
                    ensure_ascii=False,
                )
            ),
            detail=cut(error, 300),
            tag=p.tag,
            ts=ts,
        )
        for p in block.points
    ]

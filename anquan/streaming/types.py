"""What connectors hand to the pipeline. Plain data: connectors never touch the ORM on the hot path."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol


class RawReading(NamedTuple):
    """One reading as a source gave it: tag code (位号), timestamp and value, not yet validated.

    ``ts`` is epoch milliseconds (UTC) or None for "now"; ``value`` is whatever the source sent
    (the pipeline refuses non-numeric, NaN/inf and out-of-range values with a reason). A named
    tuple, not a dataclass: a gateway's batch makes a million of them a second.
    """

    tag: str
    ts: int | None
    value: Any


@dataclass(frozen=True, slots=True)
class Reject:
    """A reading or payload a mapping function refused before the pipeline saw it."""

    reason: str  # streaming.choices.RejectReason
    raw: str  # the offending text, cut to 2000 characters
    detail: str = ""
    tag: str = ""
    ts: int | None = None


class Sink(Protocol):
    """Where coordinators deliver. ``ack`` is called once the batch is durably stored (or dead-lettered):
    an MQTT coordinator acknowledges its QoS 1 messages only then. ``submit`` blocks when the
    pipeline's bounded buffer is full, which is how back-pressure reaches the broker."""

    def submit(
        self,
        connector_id: int,
        readings: list[RawReading],
        rejects: list[Reject] = ...,
        ack: Callable[[], None] | None = None,
    ) -> None: ...

    def set_status(self, connector_id: int, status: str, detail: str = "") -> None: ...


def cut(text: Any, limit: int = 2000) -> str:
    s = text.decode("utf-8", "replace") if isinstance(text, bytes | bytearray) else str(text)
    return s if len(s) <= limit else s[:limit] + "…"

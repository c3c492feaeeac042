"""What the connectors that run their own asyncio loop (OPC UA, Modbus) share: the coordinator's
thread and loop, its lifecycle, the back-off between attempts, status and batch hand-over, and
running a coroutine from synchronous code. No protocol library is imported here.

A subclass sets ``protocol`` (names the thread) and ``label`` (names it in the log) and implements
``_session``: the protocol's connect / serve / retry loop, which returns once ``_stop`` is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Coroutine
from typing import Any, ClassVar, TypeVar

from django.utils.translation import gettext as _

from anquan.streaming.choices import ConnectorStatus
from anquan.streaming.types import RawReading, Reject, Sink

T = TypeVar("T")

BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 30.0


class Backoff:
    """1 s, 2 s, 4 s … capped at 30 s; reset after a successful connection."""

    def __init__(self, first: float = BACKOFF_FIRST_S, cap: float = BACKOFF_MAX_S) -> None:
        self.first, self.cap, self.current = first, cap, first

    def next(self) -> float:
        delay = self.current
        self.current = min(self.current * 2, self.cap)
        return delay

    def reset(self) -> None:
        self.current = self.first


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion from synchronous code (a view, a service), even when the calling
    thread already runs an event loop (then on a short-lived thread of its own)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, name="connector-sync", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


class AsyncCoordinator:
    """Runs ``_session`` on an asyncio loop of its own, on a thread of its own."""

    protocol: ClassVar[str]  # "opcua": the thread is "opcua-<connector id>"
    label: ClassVar[str]  # "OPC UA": as the log names it

    def __init__(self, connector_id: int, site_id: int, sink: Sink, backoff: Backoff | None) -> None:
        self.connector_id = connector_id
        self.site_id = site_id
        self.sink = sink
        self.backoff = backoff or Backoff()
        self.logger = logging.getLogger(type(self).__module__)
        self._thread: threading.Thread | None = None
        self._stop_requested = threading.Event()
        self._paused = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    # --- lifecycle (called from the stream's main thread) ------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        name = f"{self.protocol}-{self.connector_id}"
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop_requested.set()
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already finished
                loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def pause(self) -> None:
        """Stop handing readings to the pipeline (the stream is shutting down); ``stop`` follows."""
        self._paused.set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- the loop (on the coordinator's thread) ----------------------------------------------
    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except Exception:  # a bug: say so rather than dying silently
            self.logger.exception("%s coordinator %s crashed", self.label, self.connector_id)
            self._set_status(ConnectorStatus.ERROR, _("采集线程异常退出，请查看日志。"))

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        if self._stop_requested.is_set():
            return
        await self._session()

    async def _session(self) -> None:
        """Connect, deliver and reconnect until ``_stop`` is set."""
        raise NotImplementedError

    async def _retry_later(self, text: str, error: object) -> None:
        """Report ``text`` (with ``%(error)s`` and the delay ``%(s)s``) and wait out the next back-off."""
        delay = self.backoff.next()
        await self._status(ConnectorStatus.RECONNECTING, text % {"error": error, "s": f"{delay:g}"})
        await self._sleep(delay)

    async def _sleep(self, seconds: float) -> None:
        """Wait ``seconds``, or less when the coordinator is stopped."""
        assert self._stop is not None
        if seconds <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)

    async def _submit(self, readings: list[RawReading], rejects: list[Reject]) -> None:
        """Hand a batch to the pipeline off the loop (``submit`` blocks while its buffer is full)."""
        try:
            await asyncio.to_thread(self.sink.submit, self.connector_id, readings, rejects)
        except Exception:
            self.logger.exception(
                "%s connector %s: the pipeline refused a batch", self.label, self.connector_id
            )

    async def _status(self, status: str, detail: str = "") -> None:
        await asyncio.to_thread(self._set_status, status, detail)

    def _set_status(self, status: str, detail: str = "") -> None:
        try:
            self.sink.set_status(self.connector_id, status, detail[:500])
        except Exception:
            self.logger.exception(
                "%s connector %s: could not record its status", self.label, self.connector_id
            )

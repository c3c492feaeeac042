"""Polls one Modbus TCP device and hands the engineering values to the pipeline.

The coordinator runs its own asyncio loop on its own thread and reads the register map at a fixed
rate (every ``poll_interval_s``, measured from the start of each poll). All values of a poll carry
the same timestamp. A read the device refuses (a Modbus exception such as an illegal address) is
recorded once as dead letters for its tags when it starts failing and shown in the connector's
status until it recovers; a lost connection is retried after 1 s, 2 s, 4 s … up to 30 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from typing import Any

from django.utils.translation import gettext as _

from anquan.streaming.choices import ConnectorStatus
from anquan.streaming.connectors.modbus import client, mapping
from anquan.streaming.connectors.modbus.schema import ModbusConfig
from anquan.streaming.types import RawReading, Reject, Sink

logger = logging.getLogger(__name__)

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


class Coordinator:
    def __init__(
        self,
        connector_id: int,
        site_id: int,
        config: ModbusConfig | dict[str, Any],
        sink: Sink,
        *,
        backoff: Backoff | None = None,
    ) -> None:
        self.connector_id = connector_id
        self.site_id = site_id
        self.config = config if isinstance(config, ModbusConfig) else ModbusConfig.model_validate(config)
        self.sink = sink
        self.backoff = backoff or Backoff()
        self.blocks = mapping.plan(self.config.registers)
        self.failing: dict[int, str] = {}  # block index → why its last read failed
        self.polls = 0
        self._thread: threading.Thread | None = None
        self._stop_requested = threading.Event()
        self._paused = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    # --- lifecycle (called from the stream's main thread) ------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name=f"modbus-{self.connector_id}", daemon=True)
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
            logger.exception("Modbus coordinator %s crashed", self.connector_id)
            self._set_status(ConnectorStatus.ERROR, _("采集线程异常退出，请查看日志。"))

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        if self._stop_requested.is_set():
            return
        while not self._stop.is_set():
            try:
                device = await client.connect(self.config)
            except client.ConnectError as exc:
                await self._retry_later(_("无法连接：%(error)s"), exc)
                continue
            self.backoff.reset()
            self.failing.clear()
            await self._status(ConnectorStatus.CONNECTED, "")
            try:
                await self._poll_forever(device)
            except client.ConnectError as exc:
                device.close()
                await self._retry_later(_("连接中断：%(error)s"), exc)
                continue
            device.close()

    async def _retry_later(self, text: str, exc: Exception) -> None:
        delay = self.backoff.next()
        detail = (text % {"error": exc}) + _("；%(s)s 秒后重试。") % {"s": f"{delay:g}"}
        await self._status(ConnectorStatus.RECONNECTING, detail)
        await self._sleep(delay)

    async def _poll_forever(self, device: Any) -> None:
        assert self._stop is not None
        interval = self.config.poll_interval_s
        next_at = time.monotonic()
        while not self._stop.is_set():
            await self.poll_once(device)
            next_at += interval
            now = time.monotonic()
            if next_at < now:  # a slow device: skip the polls that are already late
                next_at = now
            await self._sleep(next_at - now)

    async def poll_once(self, device: Any) -> None:
        """Read every block once and submit the readings (and the rejects of reads that began failing)."""
        if self._paused.is_set():
            return
        ts = int(time.time() * 1000)
        readings: list[RawReading] = []
        rejects: list[Reject] = []
        changed = False
        for index, block in enumerate(self.blocks):
            try:
                values = await client.read_block(device, block, self.config.unit_id)
            except client.ReadError as exc:
                if self.failing.get(index) != str(exc):
                    rejects += mapping.failed(block, ts, str(exc))
                    self.failing[index] = str(exc)
                    changed = True
                continue
            if self.failing.pop(index, None) is not None:
                changed = True
            readings += mapping.readings(block, values, ts)
        self.polls += 1
        if readings or rejects:
            try:
                await asyncio.to_thread(self.sink.submit, self.connector_id, readings, rejects)
            except Exception:
                logger.exception("Modbus connector %s: the pipeline refused a batch", self.connector_id)
        if changed:
            await self._status(ConnectorStatus.CONNECTED, self.problems_text())

    def problems_text(self) -> str:
        parts = [
            _("读取失败（%(tags)s）：%(error)s") % {"tags": "，".join(self.blocks[i].tags), "error": error}
            for i, error in sorted(self.failing.items())
        ]
        return "；".join(parts)

    async def _sleep(self, seconds: float) -> None:
        assert self._stop is not None
        if seconds <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)

    async def _status(self, status: str, detail: str = "") -> None:
        await asyncio.to_thread(self._set_status, status, detail)

    def _set_status(self, status: str, detail: str = "") -> None:
        try:
            self.sink.set_status(self.connector_id, status, detail[:500])
        except Exception:
            logger.exception("Modbus connector %s: could not record its status", self.connector_id)
